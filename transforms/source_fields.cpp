#include "transforms/source_fields.h"

namespace logtally::transforms {

SourceFieldBinder::SourceFieldBinder(const core::FieldPlan& plan)
    : plan_(plan), fields_(plan.source_fields().size()) {
  for (size_t i = 0; i < fields_.size(); ++i) fields_[i].slot = plan.source_fields()[i].slot;
}

void SourceFieldBinder::bind(const core::Batch& batch) noexcept {
  const auto& planned = plan_.source_fields();
  for (size_t i = 0; i < fields_.size(); ++i) {
    Bound& b = fields_[i];
    b.column = -1;
    b.has_value = false;
    b.value = {};
    if (!batch.fields) continue;
    b.column = batch.fields->find_column(planned[i].name);
    const int v = batch.fields->find_value(planned[i].name);
    if (v >= 0) {
      b.has_value = true;
      b.value = batch.fields->values[static_cast<size_t>(v)].second;
    }
  }
}

void SourceFieldBinder::fill(const core::Batch& batch, size_t record,
                             core::Record& out) const noexcept {
  for (const Bound& b : fields_) {
    core::FieldValue& f = out.slot(b.slot);
    f.has_number = false;
    if (b.column >= 0) {
      bool present = false;
      const std::string_view v = batch.record_field(record, static_cast<size_t>(b.column), present);
      if (present) {
        f.kind = core::FieldValue::Kind::kString;
        f.text = v;
        continue;
      }
    }
    if (b.has_value) {
      f.kind = core::FieldValue::Kind::kString;
      f.text = b.value;
    } else {
      f.kind = core::FieldValue::Kind::kAbsent;
      f.text = {};
    }
  }
}

}  // namespace logtally::transforms

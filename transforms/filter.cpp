#include "transforms/filter.h"

#include <re2/re2.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "transforms/metric_rule.h"

namespace logtally::transforms {

using core::FieldValue;

Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

namespace {

// ---- Evaluation helpers ------------------------------------------------------------------

// The operand's value for one record: absent, or text with an optional number.
struct Value {
  bool present = false;
  bool numeric = false;
  double number = 0;
  std::string_view text;
};

Value value_of(const Filter::Operand& o, const core::Record& r) noexcept {
  Value v;
  switch (o.kind) {
    case Filter::Operand::Kind::kString:
      v.present = true;
      v.text = o.text;
      return v;
    case Filter::Operand::Kind::kNumber:
      v.present = true;
      v.numeric = true;
      v.number = o.number;
      v.text = o.text;
      return v;
    case Filter::Operand::Kind::kField: {
      const FieldValue& f = r.slot(o.slot);
      if (f.kind == FieldValue::Kind::kAbsent) return v;
      v.present = true;
      v.text = f.text;
      v.numeric = read_number(f, v.number) == RuleStatus::kOk;
      return v;
    }
  }
  return v;
}

bool compare(Filter::Op op, const Filter::Operand& lo, const Filter::Operand& ro, const Value& l,
             const Value& r) noexcept {
  // Numbers are compared when a number literal is involved (then both sides must be numeric),
  // or when two fields both hold numbers.
  const bool literal_number =
      lo.kind == Filter::Operand::Kind::kNumber || ro.kind == Filter::Operand::Kind::kNumber;
  const bool literal_string =
      lo.kind == Filter::Operand::Kind::kString || ro.kind == Filter::Operand::Kind::kString;
  int c;
  if (literal_number || (!literal_string && l.numeric && r.numeric)) {
    if (!l.numeric || !r.numeric) return false;
    c = l.number < r.number ? -1 : (l.number > r.number ? 1 : 0);
  } else {
    c = l.text.compare(r.text);
  }
  switch (op) {
    case Filter::Op::kEq:
      return c == 0;
    case Filter::Op::kNe:
      return c != 0;
    case Filter::Op::kLt:
      return c < 0;
    case Filter::Op::kLe:
      return c <= 0;
    case Filter::Op::kGt:
      return c > 0;
    case Filter::Op::kGe:
      return c >= 0;
    default:
      return false;
  }
}

// ---- Parsing -----------------------------------------------------------------------------

enum class Tok : uint8_t {
  kEnd,
  kIdent,
  kString,
  kNumber,
  kLParen,
  kRParen,
  kAnd,
  kOr,
  kNot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kMatch,
  kNotMatch,
  kBad,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;    ///< 0-based offset in the expression.
  std::string text;  ///< Identifier, unescaped string, or the number as written.
  double number = 0;
};

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '@';
}

}  // namespace

class FilterCompiler {
 public:
  FilterCompiler(std::string_view text, core::FieldPlan& plan) : text_(text), plan_(plan) {}

  core::Result<Filter> run() {
    Filter f;
    f.text_ = std::string(text_);
    nodes_ = &f.nodes_;
    children_ = &f.children_;
    regexes_ = &f.regexes_;
    next();
    if (tok_.kind == Tok::kEnd) return fail(tok_.pos, "empty expression; expected a condition");
    const uint32_t root = parse_or();
    if (failed_) return error_;
    if (tok_.kind != Tok::kEnd) {
      return fail(tok_.pos, "unexpected " + describe(tok_) + "; expected && or || or the end");
    }
    f.root_ = root;
    return f;
  }

 private:
  core::Error fail(size_t pos, const std::string& message) {
    if (!failed_) {
      failed_ = true;
      error_ = core::make_error(core::ErrorCode::kConfig,
                                "column " + std::to_string(pos + 1) + ": " + message);
    }
    return error_;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        return "end of expression";
      case Tok::kIdent:
        return "field '" + t.text + "'";
      case Tok::kString:
        return "string \"" + t.text + "\"";
      case Tok::kNumber:
        return "number " + t.text;
      default:
        return "'" + t.text + "'";
    }
  }

  void next() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
    tok_ = Token{};
    tok_.pos = pos_;
    if (pos_ >= text_.size()) return;
    const char c = text_[pos_];
    const char d = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    auto two = [&](Tok k) {
      tok_.kind = k;
      tok_.text = std::string(text_.substr(pos_, 2));
      pos_ += 2;
    };
    auto one = [&](Tok k) {
      tok_.kind = k;
      tok_.text = std::string(1, c);
      pos_ += 1;
    };
    if (c == '&' && d == '&') return two(Tok::kAnd);
    if (c == '|' && d == '|') return two(Tok::kOr);
    if (c == '=' && d == '=') return two(Tok::kEq);
    if (c == '=' && d == '~') return two(Tok::kMatch);
    if (c == '!' && d == '=') return two(Tok::kNe);
    if (c == '!' && d == '~') return two(Tok::kNotMatch);
    if (c == '<' && d == '=') return two(Tok::kLe);
    if (c == '>' && d == '=') return two(Tok::kGe);
    if (c == '<') return one(Tok::kLt);
    if (c == '>') return one(Tok::kGt);
    if (c == '!') return one(Tok::kNot);
    if (c == '(') return one(Tok::kLParen);
    if (c == ')') return one(Tok::kRParen);
    if (c == '"' || c == '\'') return lex_string(c);
    if ((c >= '0' && c <= '9') || ((c == '-' || c == '+' || c == '.') && d >= '0' && d <= '9')) {
      return lex_number();
    }
    if (ident_start(c)) {
      size_t end = pos_ + 1;
      while (end < text_.size() && ident_char(text_[end])) ++end;
      tok_.kind = Tok::kIdent;
      tok_.text = std::string(text_.substr(pos_, end - pos_));
      pos_ = end;
      return;
    }
    tok_.kind = Tok::kBad;
    tok_.text = std::string(1, c);
    ++pos_;
  }

  // A string in double or single quotes. Inside, a backslash escapes the quote and itself;
  // any other backslash is kept as written, so RE2 patterns like "\d+" need no doubling.
  void lex_string(char quote) {
    const size_t start = pos_;
    std::string out;
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == quote || text_[pos_ + 1] == '\\')) {
        out += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      out += text_[pos_++];
    }
    if (pos_ >= text_.size()) {
      tok_.kind = Tok::kBad;
      tok_.pos = start;
      tok_.text = "unterminated string";
      return;
    }
    ++pos_;
    tok_.kind = Tok::kString;
    tok_.text = std::move(out);
  }

  void lex_number() {
    size_t end = pos_;
    if (text_[end] == '-' || text_[end] == '+') ++end;
    while (end < text_.size() && ((text_[end] >= '0' && text_[end] <= '9') || text_[end] == '.' ||
                                  text_[end] == 'e' || text_[end] == 'E' ||
                                  ((text_[end] == '-' || text_[end] == '+') &&
                                   (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
      ++end;
    }
    std::string_view s = text_.substr(pos_, end - pos_);
    tok_.text = std::string(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
      tok_.kind = Tok::kBad;
      tok_.text = "malformed number " + tok_.text;
    } else {
      tok_.kind = Tok::kNumber;
      tok_.number = v;
    }
    pos_ = end;
  }

  uint32_t add(Filter::Node n) {
    nodes_->push_back(std::move(n));
    return static_cast<uint32_t>(nodes_->size() - 1);
  }

  // A chain of one operator (`x && y && z`) becomes ONE node listing all its operands, not a
  // tree of pairs: evaluation then loops over the operands and recurses only once per level of
  // real nesting (parentheses, `!`), which parse_unary() bounds. A pair tree recursed once per
  // `&&`, so a long enough filter overflowed the stack on the first record.
  uint32_t parse_or() { return parse_chain(Tok::kOr, Filter::Op::kOr, &FilterCompiler::parse_and); }
  uint32_t parse_and() {
    return parse_chain(Tok::kAnd, Filter::Op::kAnd, &FilterCompiler::parse_unary);
  }
  uint32_t parse_chain(Tok tok, Filter::Op op, uint32_t (FilterCompiler::*operand)()) {
    const uint32_t first = (this->*operand)();
    if (failed_ || tok_.kind != tok) return first;
    std::vector<uint32_t> operands{first};
    while (!failed_ && tok_.kind == tok) {
      next();
      operands.push_back((this->*operand)());
    }
    Filter::Node n;
    n.op = op;
    n.a = static_cast<uint32_t>(children_->size());
    n.b = static_cast<uint32_t>(operands.size());
    children_->insert(children_->end(), operands.begin(), operands.end());
    return add(std::move(n));
  }

  uint32_t parse_unary() {
    if (failed_) return 0;
    // Parsing and evaluation recurse once per nesting level: bound it so that no config can
    // exhaust the stack.
    if (++depth_ > kMaxDepth) {
      fail(tok_.pos, "expression nested deeper than " + std::to_string(kMaxDepth) + " levels");
      return 0;
    }
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    if (tok_.kind == Tok::kNot) {
      next();
      const uint32_t inner = parse_unary();
      Filter::Node n;
      n.op = Filter::Op::kNot;
      n.a = inner;
      return add(std::move(n));
    }
    return parse_primary();
  }

  bool parse_operand(Filter::Operand& out) {
    switch (tok_.kind) {
      case Tok::kIdent:
        return parse_field(out);
      case Tok::kString:
        out.kind = Filter::Operand::Kind::kString;
        out.text = tok_.text;
        next();
        return true;
      case Tok::kNumber:
        out.kind = Filter::Operand::Kind::kNumber;
        out.number = tok_.number;
        out.text = tok_.text;
        next();
        return true;
      case Tok::kBad:
        fail(tok_.pos,
             tok_.text.size() > 1 ? tok_.text : "unexpected character '" + tok_.text + "'");
        return false;
      default:
        fail(tok_.pos, "unexpected " + describe(tok_) +
                           "; expected a field, a string, a number, exists(...), ! or (");
        return false;
    }
  }

  bool parse_field(Filter::Operand& out) {
    core::Result<core::FieldPath> path = core::parse_field_path(tok_.text);
    if (!path) {
      fail(tok_.pos, "bad field name '" + tok_.text + "': " + path.error().message);
      return false;
    }
    out.kind = Filter::Operand::Kind::kField;
    out.slot = plan_.add(*path, core::kUseText);
    out.text = tok_.text;
    next();
    return true;
  }

  uint32_t parse_primary() {
    if (tok_.kind == Tok::kLParen) {
      const size_t open = tok_.pos;
      next();
      const uint32_t inner = parse_or();
      if (failed_) return 0;
      if (tok_.kind != Tok::kRParen) {
        fail(tok_.pos, "unexpected " + describe(tok_) + "; expected ) to close the ( at column " +
                           std::to_string(open + 1));
        return 0;
      }
      next();
      return inner;
    }
    if (tok_.kind == Tok::kIdent && tok_.text == "exists") {
      // `exists(` is the function; a field named exists is still usable in a comparison.
      size_t p = pos_;
      while (p < text_.size() && text_[p] == ' ') ++p;
      if (p < text_.size() && text_[p] == '(') {
        next();  // (
        next();  // field
        if (tok_.kind != Tok::kIdent) {
          fail(tok_.pos, "unexpected " + describe(tok_) + "; expected a field name in exists()");
          return 0;
        }
        Filter::Node n;
        n.op = Filter::Op::kExists;
        if (!parse_field(n.lhs)) return 0;
        if (tok_.kind != Tok::kRParen) {
          fail(tok_.pos, "unexpected " + describe(tok_) + "; expected ) after exists(field");
          return 0;
        }
        next();
        return add(std::move(n));
      }
    }
    Filter::Node n;
    const size_t lhs_pos = tok_.pos;
    if (!parse_operand(n.lhs)) return 0;
    const Token op = tok_;
    switch (op.kind) {
      case Tok::kEq:
        n.op = Filter::Op::kEq;
        break;
      case Tok::kNe:
        n.op = Filter::Op::kNe;
        break;
      case Tok::kLt:
        n.op = Filter::Op::kLt;
        break;
      case Tok::kLe:
        n.op = Filter::Op::kLe;
        break;
      case Tok::kGt:
        n.op = Filter::Op::kGt;
        break;
      case Tok::kGe:
        n.op = Filter::Op::kGe;
        break;
      case Tok::kMatch:
        n.op = Filter::Op::kMatch;
        break;
      case Tok::kNotMatch:
        n.op = Filter::Op::kNotMatch;
        break;
      default:
        fail(op.pos, "unexpected " + describe(op) +
                         "; expected a comparison (==, !=, =~, !~, <, <=, >, >=) after " +
                         (n.lhs.kind == Filter::Operand::Kind::kField
                              ? "field '" + n.lhs.text + "'"
                              : "the literal at column " + std::to_string(lhs_pos + 1)));
        return 0;
    }
    next();
    const size_t rhs_pos = tok_.pos;
    if (!parse_operand(n.rhs)) return 0;
    if (n.op == Filter::Op::kMatch || n.op == Filter::Op::kNotMatch) {
      if (n.rhs.kind != Filter::Operand::Kind::kString) {
        fail(rhs_pos,
             std::string("expected a string holding a regular expression after ") + op.text);
        return 0;
      }
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<RE2>(n.rhs.text, options);
      if (!re->ok()) {
        fail(rhs_pos, "invalid regular expression \"" + n.rhs.text + "\": " + re->error());
        return 0;
      }
      n.regex = re.get();
      regexes_->push_back(std::move(re));
    }
    return add(std::move(n));
  }

  std::string_view text_;
  core::FieldPlan& plan_;
  size_t pos_ = 0;
  Token tok_;
  std::vector<Filter::Node>* nodes_ = nullptr;
  std::vector<uint32_t>* children_ = nullptr;
  std::vector<std::unique_ptr<RE2>>* regexes_ = nullptr;
  bool failed_ = false;
  core::Error error_;
  static constexpr int kMaxDepth = 200;
  int depth_ = 0;
};

bool Filter::eval(uint32_t index, const core::Record& record) const noexcept {
  const Node& n = nodes_[index];
  switch (n.op) {
    case Op::kAnd:
    case Op::kOr: {
      // The operands of a whole chain, in order, with short-circuit (see parse_chain()).
      const bool stop_on = n.op == Op::kOr;
      const uint32_t* operand = children_.data() + n.a;
      for (uint32_t i = 0; i < n.b; ++i) {
        if (eval(operand[i], record) == stop_on) return stop_on;
      }
      return !stop_on;
    }
    case Op::kNot:
      return !eval(n.a, record);
    case Op::kExists:
      return record.slot(n.lhs.slot).kind != FieldValue::Kind::kAbsent;
    case Op::kMatch:
    case Op::kNotMatch: {
      const Value l = value_of(n.lhs, record);
      if (!l.present) return false;
      const bool m = RE2::FullMatch(re2::StringPiece(l.text.data(), l.text.size()), *n.regex);
      return n.op == Op::kMatch ? m : !m;
    }
    default: {
      const Value l = value_of(n.lhs, record);
      const Value r = value_of(n.rhs, record);
      if (!l.present || !r.present) return false;
      return compare(n.op, n.lhs, n.rhs, l, r);
    }
  }
}

core::Result<Filter> compile_filter(std::string_view text, core::FieldPlan& plan) {
  return FilterCompiler(text, plan).run();
}

int error_column(const core::Error& error) {
  constexpr std::string_view kPrefix = "column ";
  if (error.message.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
  return std::atoi(error.message.c_str() + kPrefix.size());
}

}  // namespace logtally::transforms

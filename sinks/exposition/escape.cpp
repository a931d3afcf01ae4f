#include "sinks/exposition/escape.h"

namespace logtally::sinks {

void append_escaped(std::string& out, std::string_view text, EscapeQuotes quotes) {
  out.reserve(out.size() + text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes == EscapeQuotes::kYes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

}  // namespace logtally::sinks

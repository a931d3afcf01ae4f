// The status page's HTML (GET / on the exporter; docs/status-page.md): one document with its
// style and script, compiled into the binary (status_page.cpp).
#pragma once

#include <string_view>

namespace logtally::sinks {

/// The whole page; static storage.
std::string_view status_page_html() noexcept;

}  // namespace logtally::sinks

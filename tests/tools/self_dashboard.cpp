// self_dashboard: prints logtally's own Grafana dashboard (monitoring/self_dashboard.h), the
// content of deploy/grafana/logtally.json. tests/e2e/self_monitoring.sh checks that the file
// is exactly this; after changing the dashboard, regenerate it:
//   build/tests/e2e/self_dashboard > deploy/grafana/logtally.json
#include <iostream>

#include "monitoring/self_dashboard.h"

int main() {
  std::cout << logtally::monitoring::self_dashboard_json();
  return 0;
}

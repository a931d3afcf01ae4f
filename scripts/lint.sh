#!/usr/bin/env bash
# Style checks, as CI runs them:
# - clang-format (.clang-format) on every tracked C++ file: no diff allowed;
# - clang-tidy (.clang-tidy) on the C++ sources changed since BASE (default: the previous
#   commit), using build/compile_commands.json.
# Usage: scripts/lint.sh [BASE]
set -uo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
status=0

mapfile -t files < <(git ls-files '*.cpp' '*.h')
if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/logtally-format.log; then
  echo "clang-format: these files need formatting (run: clang-format -i FILE):"
  grep -oE '^[^:]+\.(cpp|h)' /tmp/logtally-format.log | sort -u
  status=1
fi

if [ ! -f build/compile_commands.json ]; then
  echo "clang-tidy: build/compile_commands.json missing; run scripts/build.sh first" >&2
  exit 1
fi
mapfile -t changed < <(git diff --name-only --diff-filter=ACMR "$base" -- '*.cpp' 2>/dev/null |
                       grep -E '^(core|config|engine|ingest|parsers|transforms|sinks|cli|checkpoint|monitoring)/' || true)
for f in "${changed[@]}"; do
  if ! clang-tidy -p build --quiet "$f" 2>/dev/null; then status=1; fi
done
echo "lint: clang-format on ${#files[@]} files, clang-tidy on ${#changed[@]} changed sources: $([ $status -eq 0 ] && echo ok || echo FAILED)"
exit $status

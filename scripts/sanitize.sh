#!/usr/bin/env bash
# Runs the unit tests under sanitizers (docs/fuzzing.md):
# - AddressSanitizer + UndefinedBehaviorSanitizer: every GoogleTest binary (ctest label `unit`,
#   so not the shell tests against real servers), built in build-asan/;
# - ThreadSanitizer: the tests of the code shared between threads (batch channel, metric store,
#   checkpoints, push loop), built in build-tsan/.
# Any report fails the run: UBSan does not recover, and each sanitizer exits non-zero.
#
# Usage: scripts/sanitize.sh [asan|tsan]...   (default: both)
set -uo pipefail
cd "$(dirname "$0")/.."
kinds=("$@")
[ ${#kinds[@]} -eq 0 ] && kinds=(asan tsan)
jobs=$(nproc)

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# configure DIR FLAGS: a Debug build (assertions on) at -O1 with FLAGS, tests only.
configure() {
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
    -DCMAKE_C_FLAGS_DEBUG="-O1 -g" -DCMAKE_CXX_FLAGS="$2" -DCMAKE_C_FLAGS="$2" \
    -DCMAKE_EXE_LINKER_FLAGS="$2" -DCMAKE_SHARED_LINKER_FLAGS="$2" -DLOGTALLY_BUILD_BENCH=OFF \
    "${launcher[@]}" >/dev/null
}

status=0
for kind in "${kinds[@]}"; do
  case $kind in
    asan)
      dir=build-asan
      flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
      configure "$dir" "$flags" || { echo "sanitize: asan configure failed"; status=1; continue; }
      # The GoogleTest binaries (and the logtally binary some of them run).
      if ! cmake --build "$dir" -j"$jobs" --target logtally_unit_tests >"$dir/build.log" 2>&1; then
        tail -n 40 "$dir/build.log"
        echo "sanitize: asan build failed (log: $dir/build.log)"
        status=1
        continue
      fi
      export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
      if ! (cd "$dir" && ctest -L unit -j"$jobs" --timeout 600 --output-on-failure \
            >"ctest.log" 2>&1); then
        grep -E 'tests passed|\*\*\*Failed|\*\*\*Exception|ERROR: |runtime error' "$dir/ctest.log" | head -n 30
        echo "sanitize: asan+ubsan unit tests FAILED (log: $dir/ctest.log)"
        status=1
      else
        echo "sanitize: asan+ubsan: $(grep -E 'tests passed' "$dir/ctest.log")"
      fi
      unset ASAN_OPTIONS UBSAN_OPTIONS
      ;;
    tsan)
      dir=build-tsan
      flags="-fsanitize=thread -fno-omit-frame-pointer"
      configure "$dir" "$flags" || { echo "sanitize: tsan configure failed"; status=1; continue; }
      if ! cmake --build "$dir" -j"$jobs" --target core_test checkpoint_test push_loop_test \
          >"$dir/build.log" 2>&1; then
        tail -n 40 "$dir/build.log"
        echo "sanitize: tsan build failed (log: $dir/build.log)"
        status=1
        continue
      fi
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
      log="$dir/tsan.log"
      : >"$log"
      ok=1
      for run in "tests/core_test --gtest_filter=BatchChannel*:MetricStore*:SeriesIndex*:LabelKey*" \
                 "tests/checkpoint_test" "tests/push_loop_test"; do
        bin=${run%% *}
        [ -x "$dir/$bin" ] || { echo "sanitize: $dir/$bin missing" >>"$log"; ok=0; continue; }
        # shellcheck disable=SC2086
        if ! "$dir"/$run >>"$log" 2>&1; then ok=0; fi
      done
      unset TSAN_OPTIONS
      if [ $ok -eq 1 ]; then
        echo "sanitize: tsan: $(grep -cE '^\[       OK \]' "$log") tests passed"
      else
        grep -E 'WARNING: ThreadSanitizer|FAILED|SUMMARY' "$log" | head -n 20
        echo "sanitize: tsan tests FAILED (log: $log)"
        status=1
      fi
      ;;
    *)
      echo "sanitize: unknown kind $kind (asan or tsan)" >&2
      exit 2
      ;;
  esac
done
exit $status

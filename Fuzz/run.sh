#!/usr/bin/env bash
# Fuzzes the HTTP/1.1 request parser (`make fuzz`).
#
#   Fuzz/run.sh                     libFuzzer + AddressSanitizer for FUZZ_SECONDS (default 300)
#   Fuzz/run.sh Fuzz/artifacts/X    replay one saved input (a crash) and print what went wrong
#   Fuzz/run.sh --random            no libFuzzer: the seeded random-input unit test, with
#                                   PARSER_FUZZ_ITERATIONS (default 5,000,000) mutated requests
#
# libFuzzer mode compiles the parser's sources (only those: no sockets, no logging) with
# Fuzz/ParserFuzzTarget.swift and Tests/HTTPTests/ParserInvariants.swift into one binary with
# `swiftc -sanitize=fuzzer,address`. New interesting inputs go to Fuzz/corpus/generated/
# (not committed); the committed seeds are in Fuzz/corpus/seeds/. A failing input is saved as
# Fuzz/artifacts/crash-<sha1> and the script exits non-zero.
#
# Environment: FUZZ_SECONDS, FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_ARGS (extra
# libFuzzer flags), SWIFTC (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc).
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_JOBS=${FUZZ_JOBS:-1}
BUILD_DIR=Fuzz/.build
BINARY=$BUILD_DIR/parser-fuzzer

if [[ "${1:-}" == "--random" ]]; then
    export PARSER_FUZZ_ITERATIONS=${PARSER_FUZZ_ITERATIONS:-5000000}
    echo "fuzz: random-input test, $PARSER_FUZZ_ITERATIONS iterations${PARSER_FUZZ_SEED:+, seed $PARSER_FUZZ_SEED}"
    exec ${SWIFT:-swift} test --scratch-path .build-fuzz -c release --filter ParserRandomInputTests
fi

if [[ -z "${SWIFTC:-}" ]]; then
    if command -v swiftc >/dev/null 2>&1; then SWIFTC=swiftc; else SWIFTC=/opt/swift/usr/bin/swiftc; fi
fi
# lld next to swiftc avoids gold's flood of "cannot export local symbol" warnings for ASan.
LINKER=()
if [[ -x "$(dirname "$(command -v "$SWIFTC")")/ld.lld" ]]; then LINKER=(-use-ld=lld); fi

SOURCES=(
    Sources/HTTP/RequestParser.swift
    Sources/HTTP/InboundBuffer.swift
    Sources/HTTP/HTTPParseError.swift
    Sources/HTTP/HTTPRequest.swift
    Sources/HTTP/HTTPHeaders.swift
    Tests/HTTPTests/ParserInvariants.swift
    Fuzz/ParserFuzzTarget.swift
)

mkdir -p "$BUILD_DIR" Fuzz/corpus/generated Fuzz/artifacts
echo "fuzz: building $BINARY"
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g -swift-version 6 -module-name ParserFuzz \
    "${LINKER[@]}" "${SOURCES[@]}" -o "$BINARY"

# Let libFuzzer and ASan report a trap (they print the stack and save the input); Swift's own
# backtracer would hold the process for up to 30 s first.
export SWIFT_BACKTRACE=enable=no
SYMBOLIZER="$(dirname "$(command -v "$SWIFTC")")/llvm-symbolizer"
if [[ -x "$SYMBOLIZER" ]]; then export ASAN_SYMBOLIZER_PATH="$SYMBOLIZER"; fi

if [[ $# -gt 0 && -f "$1" ]]; then
    echo "fuzz: replaying $*"
    exec "$BINARY" "$@"
fi

echo "fuzz: running for ${FUZZ_SECONDS}s ($FUZZ_JOBS job(s)); corpus Fuzz/corpus/{generated,seeds}"
JOB_FLAGS=()
if [[ "$FUZZ_JOBS" -gt 1 ]]; then JOB_FLAGS=(-fork="$FUZZ_JOBS"); fi
# shellcheck disable=SC2086
exec "$BINARY" \
    -max_total_time="$FUZZ_SECONDS" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -dict=Fuzz/http.dict \
    -artifact_prefix=Fuzz/artifacts/ \
    -print_final_stats=1 \
    "${JOB_FLAGS[@]}" ${FUZZ_ARGS:-} \
    Fuzz/corpus/generated Fuzz/corpus/seeds

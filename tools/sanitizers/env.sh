# Sourced by tools/sanitize and tools/fuzz: configures (once) and compiles build-asan/, clang
# with AddressSanitizer + UndefinedBehaviorSanitizer and libFuzzer coverage, and exports the
# sanitizer options both use. A unity build: instrumented, each file re-instantiates the same
# heavy templates (fmt, nlohmann::json, CLI11), and compiling the library as one unit takes
# about 4 minutes on 2 cores instead of about 25.
asan_dir=build-asan
if [ ! -f "$asan_dir/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$asan_dir" -Dbuildtype=debugoptimized \
    -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true -Dunity=on -Dunity_size=100 \
    -Dcpp_args='-fno-sanitize-recover=all -fno-omit-frame-pointer' >&2
fi
meson compile -C "$asan_dir" >&2
supp="$PWD/tools/sanitizers"
export ASAN_OPTIONS="detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87:suppressions=$supp/ubsan.supp"
# Open MPI and PMIx unload their plugins at finalize, leaving their leaks without a module name
# to suppress by; keep them loaded.
export OMPI_MCA_mca_base_component_disable_dlclose=1
export PMIX_MCA_mca_base_component_disable_dlclose=1

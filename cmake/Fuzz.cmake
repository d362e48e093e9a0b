# MIROIR_BUILD_FUZZ=ON turns the build into the fuzzing build (docs/fuzzing.md):
# only tests/fuzz's libFuzzer targets and the modules they link are built, with
# clang's -fsanitize=fuzzer plus ASan and UBSan. scripts/fuzz.sh configures it
# in build-fuzz/.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "MIROIR_BUILD_FUZZ needs clang for libFuzzer "
                      "(e.g. -DCMAKE_CXX_COMPILER=clang++-16; scripts/fuzz.sh does it)")
endif()
if(MIROIR_SANITIZE)
  message(FATAL_ERROR "MIROIR_BUILD_FUZZ brings its own sanitizers; leave MIROIR_SANITIZE empty")
endif()
set(MIROIR_FUZZ_SANITIZERS "address,undefined")
# Every object file gets the coverage instrumentation libFuzzer steers by and
# the sanitizers; only the fuzz executables link libFuzzer's main
# (miroir_fuzz_target). UBSan findings abort, so the fuzzer sees them as crashes.
add_compile_options(-fsanitize=fuzzer-no-link,${MIROIR_FUZZ_SANITIZERS}
                    -fno-sanitize-recover=all -fno-omit-frame-pointer)

# miroir_fuzz_target(<name> SOURCES <files...> LIBS <targets...>) builds
# tests/fuzz/<name>_fuzz.cpp plus SOURCES into the executable <name>_fuzz.
function(miroir_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target ${name}_fuzz)
  add_executable(${target} ${CMAKE_CURRENT_SOURCE_DIR}/${name}_fuzz.cpp ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_LIBS})
  # The targets may call miroir_core's internal parts (src/core/*.hpp) and
  # compile single files of the modules whose libraries would pull in Beast.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src
                                               ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,${MIROIR_FUZZ_SANITIZERS})
  miroir_set_warnings(${target})
  set_property(GLOBAL APPEND PROPERTY MIROIR_FUZZ_TARGETS ${target})
endfunction()

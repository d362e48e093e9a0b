# miroir_module(<name> DEPS <targets...>) builds src/<name>/*.cpp into the static
# library miroir_<name>, with include/ as its public include path. Dependencies
# between modules are declared here, so the layering of ARCHITECTURE.md §6
# (app -> api/workers -> store/http/meili -> core) is enforced by the linker.
function(miroir_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${name}/*.cpp)
  # A module's main.cpp belongs to its executable, not to its library.
  list(FILTER sources EXCLUDE REGEX "/main\\.cpp$")
  add_library(miroir_${name} STATIC ${sources})
  target_include_directories(miroir_${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(miroir_${name} PUBLIC ${ARG_DEPS})
  miroir_set_warnings(miroir_${name})
endfunction()

# miroir_unit_tests(<dir> LIBS <targets...>) makes one gtest executable per
# <dir>/*_test.cpp and registers it with ctest.
function(miroir_unit_tests dir)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${dir}/*_test.cpp)
  foreach(test_source ${tests})
    get_filename_component(test_name ${test_source} NAME_WE)
    set(target ${dir}_${test_name})
    string(REPLACE "/" "_" target ${target})
    add_executable(${target} ${test_source})
    target_link_libraries(${target} PRIVATE ${ARG_LIBS} GTest::gtest_main GTest::gmock)
    miroir_set_warnings(${target})
    add_test(NAME ${target} COMMAND ${target})
  endforeach()
endfunction()

# Every dependency comes from Debian packages; see README.md for the list.
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)  # Asio, Beast and System are header-only
find_package(nlohmann_json 3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)  # CMake's FindSQLite3: target SQLite::SQLite3
find_package(yaml-cpp REQUIRED)  # imported target: yaml-cpp
find_package(spdlog REQUIRED)  # Debian libspdlog-dev, compiled with the system fmt
find_package(PkgConfig REQUIRED)
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)  # Debian libhiredis-dev (0.14)

# Beast and Asio are header-only; compile them in one place per binary would be
# ideal, but Boost 1.81 has no separate-compilation switch for Beast, so we keep
# Beast includes confined to a handful of translation units instead.
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

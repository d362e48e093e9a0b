# Warnings apply to Miroir's own targets only (via miroir_set_warnings).
function(miroir_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-missing-field-initializers
    # GCC 12 misreports Asio's coroutine frame allocator as a new/delete
    # mismatch (it pairs a class operator delete with a global new).
    -Wno-mismatched-new-delete)
  if(MIROIR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# Warnings apply to Miroir's own targets only (via miroir_set_warnings).
function(miroir_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    -Wno-missing-field-initializers)
  if(MIROIR_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# MIROIR_SANITIZE=address,undefined builds everything with those sanitizers.
if(MIROIR_SANITIZE)
  add_compile_options(-fsanitize=${MIROIR_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${MIROIR_SANITIZE})
endif()

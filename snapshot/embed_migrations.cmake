# Writes OUT: a C++ source defining locus::snapshot::EmbeddedMigrations() from FILES (the
# schemas/mysql/NNNN_name.sql files, sorted). Run by CMake in script mode (-P).
set(body "")
foreach(file ${FILES})
  get_filename_component(name ${file} NAME)
  if(NOT name MATCHES "^([0-9]+)_[A-Za-z0-9_]+\\.sql$")
    message(FATAL_ERROR "schemas/mysql/${name}: migrations are named NNNN_words.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")  # drops leading zeros
  file(READ ${file} sql)
  if(sql MATCHES "\\)locus_sql\"")
    message(FATAL_ERROR "schemas/mysql/${name} contains the raw-string delimiter )locus_sql\"")
  endif()
  string(APPEND body "      {${version}, \"${name}\", R\"locus_sql(${sql})locus_sql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp
"// Generated from schemas/mysql/*.sql by snapshot/embed_migrations.cmake. Do not edit.
#include \"snapshot/migrations.h\"

namespace locus::snapshot {

const std::vector<Migration>& EmbeddedMigrations() {
  static const std::vector<Migration> kMigrations = {
${body}  };
  return kMigrations;
}

}  // namespace locus::snapshot
")
# Only touch OUT when it changed, so an unrelated reconfigure rebuilds nothing.
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)

// Loads a Config from YAML and LOCUS_* environment variables.
//
// YAML keys map one to one onto the fields of config.h: top-level sections kafka, state,
// model, requests, activities, mysql, http; inside them the field names. kafka.librdkafka and
// activities.aliases are maps of name -> scalar. Any other key is an error that names the
// full dotted key and the source, so a typo never silently falls back to a default.
//
// Every scalar field can be overridden by LOCUS_<SECTION>_<FIELD> (upper-cased), e.g.
// LOCUS_KAFKA_BOOTSTRAP_SERVERS or LOCUS_MYSQL_PORT. Other LOCUS_* variables are ignored:
// other tools set some (LOCUS_SOURCE_DIR, ...).
//
// Values are checked for type and range (ports 1..65535, partitions >= 1, ...); the error
// names the key or variable and what was expected. All functions are pure apart from
// LoadConfig, which reads the file and the process environment.
#pragma once

#include "src/config/config.h"
#include "src/core/status.h"

#include <map>
#include <string>

namespace locus {

// Loads the YAML file at `path` on top of the defaults, then applies the LOCUS_* variables
// of the process environment. `path` empty: defaults + environment only. The file must be
// valid on its own; the result is checked again after the overrides. Errors name the file
// and the key (or the variable). Reads `environ`: not safe against a concurrent setenv.
Result<Config> LoadConfig(const std::string& path);

// Same from YAML text, without environment overrides (so tests are hermetic). `origin`
// names the source in messages ("config/locus.yaml", "<test>"). Empty text or only
// comments gives the defaults.
Result<Config> LoadConfigFromString(const std::string& yaml, const std::string& origin);

// Applies the LOCUS_* overrides found in `env` (variable name -> value) to `config`; names
// that are not a known field are ignored. An unparsable or out-of-range value leaves
// `config` partly updated and returns an error naming the variable.
Status ApplyEnvOverrides(Config& config, const std::map<std::string, std::string>& env);

// librdkafka properties for a client of the configured cluster: kafka.librdkafka plus
// bootstrap.servers from kafka.bootstrap_servers (which wins when set). With the embedded
// cluster (bootstrap_servers empty) the caller adds the mock cluster's address itself.
std::map<std::string, std::string> KafkaClientProperties(const KafkaConfig& kafka);

}  // namespace locus

#include "src/config/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <system_error>
#include <unistd.h>  // environ
#include <utility>
#include <variant>
#include <vector>

namespace locus {
namespace {

using StringMap = std::map<std::string, std::string>;

// How a string field is checked.
enum class StringRule { kAny, kNonEmpty, kHostPort };
// How the entries of a map field are checked.
enum class MapRule { kLibrdkafka, kAliases };

struct StringField {
  std::string* target;
  StringRule rule = StringRule::kAny;
};
struct IntField {
  int* target;
  int min;
  int max;
};
// Finite and at least `min` (strictly more when `exclusive`).
struct DoubleField {
  double* target;
  double min;
  bool exclusive;
};
struct BoolField {
  bool* target;
};
// name -> scalar; YAML only (no environment override).
struct MapField {
  StringMap* target;
  MapRule rule;
};

using Binding = std::variant<StringField, IntField, DoubleField, BoolField, MapField>;

struct Field {
  std::string_view section;
  std::string_view name;
  Binding binding;

  std::string Key() const { return std::string(section) + "." + std::string(name); }
};

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;  // clang before 17 lacks aggregate deduction

constexpr int kMaxInt = std::numeric_limits<int>::max();

// The one table of configuration fields, bound to `c`: the YAML reader and the environment
// overrides both walk it, so a field added here is known to both. Order as in config.h.
std::vector<Field> BindFields(Config& c) {
  KafkaConfig& k = c.kafka;
  MysqlConfig& m = c.mysql;
  const auto non_empty = StringRule::kNonEmpty;
  return {
      {"kafka", "bootstrap_servers", StringField{&k.bootstrap_servers}},
      {"kafka", "embedded_brokers", IntField{&k.embedded_brokers, 1, 16}},
      {"kafka", "partitions", IntField{&k.partitions, 1, kMaxInt}},
      {"kafka", "group_id", StringField{&k.group_id, non_empty}},
      {"kafka", "places_topic", StringField{&k.places_topic, non_empty}},
      {"kafka", "events_topic", StringField{&k.events_topic, non_empty}},
      {"kafka", "requests_topic", StringField{&k.requests_topic, non_empty}},
      {"kafka", "responses_topic", StringField{&k.responses_topic, non_empty}},
      {"kafka", "deadletter_topic", StringField{&k.deadletter_topic, non_empty}},
      {"kafka", "scale_out", BoolField{&k.scale_out}},
      {"kafka", "by_place_topic", StringField{&k.by_place_topic, non_empty}},
      {"kafka", "model_topic", StringField{&k.model_topic, non_empty}},
      {"kafka", "model_republish_s", IntField{&k.model_republish_s, 0, kMaxInt}},
      {"kafka", "exactly_once", BoolField{&k.exactly_once}},
      {"kafka", "session_timeout_ms", IntField{&k.session_timeout_ms, 1, kMaxInt}},
      {"kafka", "librdkafka", MapField{&k.librdkafka, MapRule::kLibrdkafka}},
      {"state", "data_dir", StringField{&c.state.data_dir, non_empty}},
      {"state", "flush_events", IntField{&c.state.flush_events, 1, kMaxInt}},
      {"state", "flush_interval_ms", IntField{&c.state.flush_interval_ms, 1, kMaxInt}},
      {"model", "popularity_half_life_days",
       DoubleField{&c.model.popularity_half_life_days, 0.0, true}},
      {"model", "visit_weight", DoubleField{&c.model.visit_weight, 0.0, false}},
      {"model", "click_weight", DoubleField{&c.model.click_weight, 0.0, false}},
      {"model", "distance_scale_km", DoubleField{&c.model.distance_scale_km, 0.0, true}},
      {"model", "retrain_every_days", DoubleField{&c.model.retrain_every_days, 0.0, false}},
      {"model", "retrain_install_after_minutes",
       DoubleField{&c.model.retrain_install_after_minutes, 0.0, false}},
      {"model", "retrain_install_waits", BoolField{&c.model.retrain_install_waits}},
      {"model", "retrain_factors", IntField{&c.model.retrain_factors, 1, 256}},
      {"model", "retrain_iterations", IntField{&c.model.retrain_iterations, 1, 100}},
      {"model", "retrain_threads", IntField{&c.model.retrain_threads, 1, 64}},
      {"model", "blend_full_events", IntField{&c.model.blend_full_events, 0, kMaxInt}},
      {"model", "covisit_row_limit", IntField{&c.model.covisit_row_limit, 0, kMaxInt}},
      {"requests", "default_k", IntField{&c.requests.default_k, 1, 100}},
      {"requests", "max_k", IntField{&c.requests.max_k, 1, 100}},
      {"requests", "workers", IntField{&c.requests.workers, 1, 64}},
      {"activities", "aliases", MapField{&c.activities.aliases, MapRule::kAliases}},
      {"mysql", "host", StringField{&m.host}},
      {"mysql", "port", IntField{&m.port, 1, 65535}},
      {"mysql", "socket", StringField{&m.socket}},
      {"mysql", "database", StringField{&m.database, non_empty}},
      {"mysql", "user", StringField{&m.user, non_empty}},
      {"mysql", "password", StringField{&m.password}},
      {"mysql", "snapshot_interval_s", IntField{&m.snapshot_interval_s, 0, kMaxInt}},
      {"mysql", "keep_snapshots", IntField{&m.keep_snapshots, 1, kMaxInt}},
      {"mysql", "export_user_rows", BoolField{&m.export_user_rows}},
      {"http", "listen", StringField{&c.http.listen, StringRule::kHostPort}},
      {"http", "token", StringField{&c.http.token}},
      {"http", "max_request_bytes", IntField{&c.http.max_request_bytes, 1, kMaxInt}},
      {"http", "rate_limit_per_s", DoubleField{&c.http.rate_limit_per_s, 0.0, true}},
      {"http", "rate_limit_burst", IntField{&c.http.rate_limit_burst, 1, kMaxInt}},
  };
}

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string Join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::optional<long long> ParseInt(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> ParseDouble(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> ParseBool(std::string_view text) {
  std::string lower(text);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return std::nullopt;
}

Status CheckString(StringRule rule, const std::string& text) {
  if (rule == StringRule::kNonEmpty && text.empty()) return Status::Error("must not be empty");
  if (rule == StringRule::kHostPort) {
    const size_t colon = text.rfind(':');
    const auto port = colon == std::string::npos ? std::nullopt : ParseInt(text.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) {
      return Status::Error("expected host:port with a port in 1..65535, got " + Quoted(text));
    }
  }
  return Status::Ok();
}

// What a field takes, for messages: "expected an integer, got 'many'".
std::string Expected(const Binding& binding) {
  return std::visit(Overloaded{
                        [](const StringField&) { return "expected a string"; },
                        [](const IntField&) { return "expected an integer"; },
                        [](const DoubleField&) { return "expected a number"; },
                        [](const BoolField&) { return "expected a boolean (true/false)"; },
                        [](const MapField&) { return "expected a map of name: value"; },
                    },
                    binding);
}

// Parses `text` into a scalar field. The message says what was expected; the caller adds
// the key and the source.
Status SetScalar(const Binding& binding, const std::string& text) {
  return std::visit(
      Overloaded{
          [&](const StringField& f) {
            Status s = CheckString(f.rule, text);
            if (s.ok()) *f.target = text;
            return s;
          },
          [&](const IntField& f) {
            const auto v = ParseInt(text);
            if (!v) return Status::Error(Expected(f) + ", got " + Quoted(text));
            if (*v < f.min || *v > f.max) {
              const std::string range =
                  f.max == kMaxInt && *v < f.min
                      ? ">= " + std::to_string(f.min)
                      : "in " + std::to_string(f.min) + ".." + std::to_string(f.max);
              return Status::Error("must be " + range + ", got " + text);
            }
            *f.target = static_cast<int>(*v);
            return Status::Ok();
          },
          [&](const DoubleField& f) {
            const auto v = ParseDouble(text);
            if (!v) return Status::Error(Expected(f) + ", got " + Quoted(text));
            if (f.exclusive ? *v <= f.min : *v < f.min) {
              std::ostringstream min;
              min << f.min;
              return Status::Error(std::string("must be ") + (f.exclusive ? "> " : ">= ") +
                                   min.str() + ", got " + text);
            }
            *f.target = *v;
            return Status::Ok();
          },
          [&](const BoolField& f) {
            const auto v = ParseBool(text);
            if (!v) return Status::Error(Expected(f) + ", got " + Quoted(text));
            *f.target = *v;
            return Status::Ok();
          },
          [&](const MapField& f) { return Status::Error(Expected(f) + ", got " + Quoted(text)); },
      },
      binding);
}

// Rules that span fields. Returns the message and the keys involved; nullopt when fine.
std::optional<std::pair<std::string, std::vector<std::string_view>>> CrossFieldError(
    const Config& c) {
  if (c.requests.default_k > c.requests.max_k) {
    return std::pair<std::string, std::vector<std::string_view>>{
        "requests.default_k must be <= requests.max_k (" + std::to_string(c.requests.max_k) +
            "), got " + std::to_string(c.requests.default_k),
        {"requests.default_k", "requests.max_k"}};
  }
  return std::nullopt;
}

// ---- YAML -------------------------------------------------------------------------------

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Quoted(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "nothing";
  }
}

std::string LineOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line < 0 ? "" : " (line " + std::to_string(mark.line + 1) + ")";
}

// Reads one YAML document into the fields bound to a Config.
class YamlReader {
 public:
  YamlReader(std::string origin, std::vector<Field> fields)
      : origin_(std::move(origin)), fields_(std::move(fields)) {}

  Status Read(const YAML::Node& root) {
    if (root.IsNull()) return Status::Ok();
    if (!root.IsMap()) return Fail("expected a map of sections, got " + Describe(root), root);
    std::vector<std::string_view> sections;
    for (const Field& f : fields_) {
      if (sections.empty() || sections.back() != f.section) sections.push_back(f.section);
    }
    std::set<std::string> seen;
    for (const auto& entry : root) {
      const std::string name = entry.first.Scalar();
      const Status s = CheckKey(entry.first, name, "", sections, seen);
      if (!s.ok()) return s;
      if (entry.second.IsNull()) continue;  // "kafka:" with everything commented out
      if (!entry.second.IsMap()) {
        return Fail(name + ": expected a map, got " + Describe(entry.second), entry.second);
      }
      const Status section = ReadSection(name, entry.second);
      if (!section.ok()) return section;
    }
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& what, const YAML::Node& at) const {
    return Status::Error(origin_ + ": " + what + LineOf(at));
  }

  // Rejects non-scalar, duplicate and unknown keys; `prefix` is "" or "kafka.".
  Status CheckKey(const YAML::Node& node, const std::string& name, const std::string& prefix,
                  const std::vector<std::string_view>& known, std::set<std::string>& seen) const {
    if (!node.IsScalar()) {
      const std::string in = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1) + ": ";
      return Fail(in + "keys must be plain names, got " + Describe(node), node);
    }
    if (!seen.insert(name).second) return Fail("duplicate key " + Quoted(prefix + name), node);
    for (std::string_view k : known) {
      if (k == name) return Status::Ok();
    }
    const std::string where =
        prefix.empty() ? "at top level" : "in " + prefix.substr(0, prefix.size() - 1);
    return Fail(
        "unknown key " + Quoted(prefix + name) + " (known keys " + where + ": " + Join(known) + ")",
        node);
  }

  Status ReadSection(const std::string& section, const YAML::Node& map) {
    std::vector<std::string_view> known;
    for (const Field& f : fields_) {
      if (f.section == section) known.push_back(f.name);
    }
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const std::string name = entry.first.Scalar();
      const Status s = CheckKey(entry.first, name, section + ".", known, seen);
      if (!s.ok()) return s;
      for (const Field& f : fields_) {
        if (f.section != section || f.name != name) continue;
        const Status set = ReadField(f, entry.second);
        if (!set.ok()) return set;
      }
    }
    return Status::Ok();
  }

  Status ReadField(const Field& field, const YAML::Node& value) {
    const std::string key = field.Key();
    if (const auto* map = std::get_if<MapField>(&field.binding)) return ReadMap(key, *map, value);
    std::string text;
    if (value.IsScalar()) {
      text = value.Scalar();
    } else if (!(value.IsNull() && std::holds_alternative<StringField>(field.binding))) {
      // A null string ("token:") reads as empty; anything else needs a scalar.
      return Fail(key + ": " + Expected(field.binding) + ", got " + Describe(value), value);
    }
    const Status s = SetScalar(field.binding, text);
    return s.ok() ? s : Fail(key + ": " + s.message(), value);
  }

  Status ReadMap(const std::string& key, const MapField& field, const YAML::Node& value) {
    if (value.IsNull()) {
      field.target->clear();
      return Status::Ok();
    }
    if (!value.IsMap()) {
      return Fail(key + ": " + Expected(field) + ", got " + Describe(value), value);
    }
    StringMap out;
    for (const auto& entry : value) {
      if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
        return Fail(key + ": names must be plain text, got " + Describe(entry.first), entry.first);
      }
      const std::string& name = entry.first.Scalar();
      const std::string entry_key = key + "." + name;
      if (out.count(name) != 0) return Fail("duplicate key " + Quoted(entry_key), entry.first);
      if (!entry.second.IsScalar()) {
        return Fail(entry_key + ": expected a scalar, got " + Describe(entry.second), entry.second);
      }
      const Status s = CheckMapEntry(field.rule, name, entry.second.Scalar());
      if (!s.ok()) return Fail(entry_key + ": " + s.message(), entry.second);
      out.emplace(name, entry.second.Scalar());
    }
    *field.target = std::move(out);
    return Status::Ok();
  }

  static Status CheckMapEntry(MapRule rule, const std::string& name, const std::string& value) {
    if (rule == MapRule::kAliases && value.empty()) {
      return Status::Error("an alias needs the activity it stands for");
    }
    if (rule == MapRule::kLibrdkafka) {
      // Properties with their own field would fight with it; say which field to use.
      static const StringMap kOwnField = {{"bootstrap.servers", "kafka.bootstrap_servers"},
                                          {"metadata.broker.list", "kafka.bootstrap_servers"},
                                          {"group.id", "kafka.group_id"},
                                          {"session.timeout.ms", "kafka.session_timeout_ms"}};
      const auto it = kOwnField.find(name);
      if (it != kOwnField.end()) return Status::Error("set " + it->second + " instead");
    }
    return Status::Ok();
  }

  std::string origin_;
  std::vector<Field> fields_;
};

// ---- Environment and files ---------------------------------------------------------------

std::string EnvName(const Field& field) {
  std::string name = "LOCUS_" + std::string(field.section) + "_" + std::string(field.name);
  for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

// The LOCUS_* variables of the process environment.
StringMap LocusEnvironment() {
  StringMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (!text.starts_with("LOCUS_") || eq == std::string_view::npos) continue;
    env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

Result<std::string> ReadFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::Error("config file " + Quoted(path) + " does not exist");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status::Error("config file " + Quoted(path) + " is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Error("cannot open config file " + Quoted(path) + ": " +
                         std::generic_category().message(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read config file " + Quoted(path));
  return text.str();
}

}  // namespace

Result<Config> LoadConfigFromString(const std::string& yaml, const std::string& origin) {
  Config config;
  try {
    const YAML::Node root = YAML::Load(yaml);
    const Status s = YamlReader(origin, BindFields(config)).Read(root);
    if (!s.ok()) return s;
  } catch (const YAML::Exception& e) {
    // Parse errors carry a 0-based mark; yaml-cpp throws nothing else here we could act on.
    const std::string at = e.mark.is_null()
                               ? ""
                               : " (line " + std::to_string(e.mark.line + 1) + ", column " +
                                     std::to_string(e.mark.column + 1) + ")";
    return Status::Error(origin + ": invalid YAML: " + e.msg + at);
  }
  if (const auto error = CrossFieldError(config)) {
    return Status::Error(origin + ": " + error->first);
  }
  return config;
}

Status ApplyEnvOverrides(Config& config, const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> applied;  // key -> variable
  for (const Field& field : BindFields(config)) {
    if (std::holds_alternative<MapField>(field.binding)) continue;
    const std::string name = EnvName(field);
    const auto it = env.find(name);
    if (it == env.end()) continue;
    const Status s = SetScalar(field.binding, it->second);
    if (!s.ok()) {
      return Status::Error("environment variable " + name + " (" + field.Key() +
                           "): " + s.message());
    }
    applied.emplace(field.Key(), name);
  }
  if (const auto error = CrossFieldError(config)) {
    std::vector<std::string_view> names;
    for (std::string_view key : error->second) {
      const auto it = applied.find(std::string(key));
      if (it != applied.end()) names.push_back(it->second);
    }
    const std::string source =
        names.empty() ? "after environment overrides" : "environment variable " + Join(names);
    return Status::Error(source + ": " + error->first);
  }
  return Status::Ok();
}

Result<Config> LoadConfig(const std::string& path) {
  std::string text;
  if (!path.empty()) {
    Result<std::string> read = ReadFile(path);
    if (!read.ok()) return read.status();
    text = std::move(read).value();
  }
  Result<Config> config = LoadConfigFromString(text, path.empty() ? "<defaults>" : path);
  if (!config.ok()) return config;
  const Status s = ApplyEnvOverrides(config.value(), LocusEnvironment());
  if (!s.ok()) return s;
  return config;
}

std::map<std::string, std::string> KafkaClientProperties(const KafkaConfig& kafka) {
  std::map<std::string, std::string> properties = kafka.librdkafka;
  if (!kafka.bootstrap_servers.empty()) {
    properties["bootstrap.servers"] = kafka.bootstrap_servers;
  }
  return properties;
}

}  // namespace locus

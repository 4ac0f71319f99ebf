package io.kafkagen.model;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigDef;

/**
 * Prints the broker and topic configuration definitions of the Kafka jars
 * on the classpath, from Kafka's own ConfigDefs, one key per line:
 *
 *   SCOPE  NAME  TYPE  VALIDATOR-CLASS  VALIDATOR
 *
 * tab-separated, sorted by scope and name. SCOPE is `broker` or `topic`;
 * VALIDATOR is the validator's own description (`[1,...,10]`,
 * `[delete, compact]`), `-` when there is none. Defaults are left out: some
 * come from the JVM. `cargo xtask config-model` runs it for each Kafka line
 * and writes src/validate/kafka_config/.
 */
public final class ConfigModel {
    private static String clean(Object o) {
        return o == null ? "-" : String.valueOf(o).replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    private static void print(String scope, Map<String, ConfigDef.ConfigKey> keys) {
        for (ConfigDef.ConfigKey k : new TreeMap<>(keys).values()) {
            String validator = k.validator == null ? "-" : k.validator.getClass().getSimpleName();
            System.out.println(scope + "\t" + k.name + "\t" + k.type + "\t" + validator + "\t"
                    + clean(k.validator));
        }
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        ConfigDef broker = (ConfigDef) Class.forName("kafka.server.KafkaConfig").getMethod("configDef").invoke(null);
        print("broker", broker.configKeys());
        Class<?> log = Class.forName("org.apache.kafka.storage.internals.log.LogConfig");
        Method keys = log.getMethod("configKeys");
        print("topic", (Map<String, ConfigDef.ConfigKey>) keys.invoke(null));
    }
}

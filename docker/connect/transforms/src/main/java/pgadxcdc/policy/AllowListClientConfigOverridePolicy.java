package pgadxcdc.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.policy.ConnectorClientConfigOverridePolicy;
import org.apache.kafka.connect.connector.policy.ConnectorClientConfigRequest;

/**
 * Lets a connector override exactly the client settings pg-adx-cdc's own connectors set, and nothing
 * else. Kafka's {@code All} policy would let anyone who reaches the REST API register a connector
 * whose producer or consumer points elsewhere ({@code consumer.override.bootstrap.servers},
 * {@code sasl.jaas.config}); {@code None} would refuse the stack's own tuning. The list is the worker
 * property {@code pgadxcdc.client.overrides.allowed} (comma-separated, with the {@code producer.override.},
 * {@code consumer.override.} or {@code admin.override.} prefix), written by connectors/workerSettings.ts
 * from what the connector config builders set — the only place it is stated.
 */
public class AllowListClientConfigOverridePolicy implements ConnectorClientConfigOverridePolicy {
    static final String ALLOWED = "pgadxcdc.client.overrides.allowed";

    private Set<String> allowed = Set.of();

    @Override
    public void configure(Map<String, ?> configs) {
        Object value = configs.get(ALLOWED);
        if (value == null) {
            throw new ConfigException(ALLOWED, null, "required by " + getClass().getName() + ": the client settings connectors may override");
        }
        allowed = Arrays.stream(value.toString().split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
    }

    @Override
    public List<ConfigValue> validate(ConnectorClientConfigRequest request) {
        String prefix = switch (request.clientType()) {
            case PRODUCER -> "producer.override.";
            case CONSUMER -> "consumer.override.";
            case ADMIN -> "admin.override.";
        };
        List<ConfigValue> result = new ArrayList<>();
        for (Map.Entry<String, Object> entry : request.clientProps().entrySet()) {
            ConfigValue configValue = new ConfigValue(entry.getKey(), entry.getValue(), new ArrayList<>(), new ArrayList<>());
            if (!allowed.contains(prefix + entry.getKey())) {
                configValue.addErrorMessage(prefix + entry.getKey() + " is not a client setting pg-adx-cdc's connectors override, so this worker refuses it"
                        + " (connector.client.config.override.policy allows only: " + String.join(", ", allowed) + ")");
            }
            result.add(configValue);
        }
        return result;
    }

    @Override
    public void close() {
    }
}

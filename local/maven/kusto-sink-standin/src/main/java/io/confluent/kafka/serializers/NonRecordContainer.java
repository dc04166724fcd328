package io.confluent.kafka.serializers;

/** Compile-only stand-in (see pom.xml): never packaged. */
public class NonRecordContainer {
    public Object getValue() {
        throw new UnsupportedOperationException();
    }
}

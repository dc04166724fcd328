package io.confluent.connect.avro;

/** Compile-only stand-in (see pom.xml): never packaged, never loaded for JSON topics. */
public class AvroData {
    public AvroData(int cacheSize) {
        throw new UnsupportedOperationException("Avro is not supported by this build of the Kusto sink");
    }

    public org.apache.avro.Schema fromConnectSchema(org.apache.kafka.connect.data.Schema schema) {
        throw new UnsupportedOperationException();
    }

    public Object fromConnectData(org.apache.kafka.connect.data.Schema schema, Object value) {
        throw new UnsupportedOperationException();
    }
}

package dev.channelanalytics.common.contract;

/**
 * One event as a client app sends it inside a plaintext batch, for building envelopes in the
 * simulator and in tests.
 *
 * @param type the event type, omitted from the JSON when null
 * @param ts the client's epoch milliseconds
 */
public record ClientEvent(String type, long ts) {}

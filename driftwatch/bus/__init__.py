"""The Redis Streams bus: topology, typed publish, consumers with ack/claim/dead-letter, watch."""

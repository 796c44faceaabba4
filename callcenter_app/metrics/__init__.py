"""Statistics over calls, queues, operators and campaigns (pure Python): QoS % for inbound queues."""

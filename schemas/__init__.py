"""Message contracts: the event envelope, every event's data, and every topic. Data only."""

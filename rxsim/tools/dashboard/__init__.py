"""The operations dashboard: a fifth process of the local stack, a tool rather than a service
(it decides nothing and no one depends on it), that reads the topics and asks the services, and
serves the operator's live figures and a prescription's history as one page."""

"""The citizen's VNeID app: sees their prescriptions, chooses a pharmacy and delivery or pickup."""

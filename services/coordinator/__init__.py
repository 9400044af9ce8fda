"""The national health-data coordinator: validates prescriptions, owns their state, routes them."""

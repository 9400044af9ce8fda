"""What tests at every level share: builders of valid and faulty prescriptions, the HL7
examples, and a client that drives the running stack as an integration engineer would."""

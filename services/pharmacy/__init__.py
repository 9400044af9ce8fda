"""Simulated pharmacies: accept or decline orders by stock, dispense, and send a courier."""

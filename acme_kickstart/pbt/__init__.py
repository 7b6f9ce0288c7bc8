"""Population-based training of lambda_k, learning rate and entropy cost."""

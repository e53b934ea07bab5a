"""`python -m agora_client` prints what the package offers; the benchmark is `python -m agora_client.bench`."""
print(__import__("agora_client").__doc__)

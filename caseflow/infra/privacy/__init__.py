"""Personal data at rest (docs/privacy.md): sealed with a per-case data key (AES-256-GCM), data
keys wrapped by a master key, erasure by destroying a case's data key (crypto-shredding)."""

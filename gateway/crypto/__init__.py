"""Message encryption and signing: S/MIME (`smime`) and OpenPGP (`pgp`)."""

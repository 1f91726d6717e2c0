"""The privacy notice (隐私政策) and the residents' agreement to it (consent under the Personal
Information Protection Law): the versions of the notice, who agreed to which and when, and the
check that asks a logged-in user to agree again when a new version is published."""

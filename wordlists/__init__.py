"""The lists forum_guard ships (the wheel carries this folder as ``forum_guard.wordlists``)."""

"""Marketing mix model: transforms, fitting, bootstrap intervals, response curves,
budget optimisation and scenarios. See docs/mmm.md."""

"""The demo seed: realistic, obviously synthetic petitions driven through the service layer
(`caseflow demo seed`, `make run` on an empty store). A tool, not part of the application."""

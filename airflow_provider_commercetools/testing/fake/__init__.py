"""The parts of the fake commercetools server (testing.server.FakeCommercetools), one API or concern per module."""

"""App tests: pages under AppTest, charts, app data helpers and admin actions."""

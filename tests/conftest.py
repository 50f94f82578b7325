def pytest_configure(config):
    config.addinivalue_line('markers', 'full: long tests over whole splits (CI runs them separately: -m full)')

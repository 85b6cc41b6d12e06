import pytest

from settings import SettingsError, load_settings, origin_of


def test_origins_are_normalised():
    assert origin_of("HTTP://LocalHost:5000/") == "http://localhost:5000"
    assert origin_of("https://kiln.example:443") == "https://kiln.example"
    assert origin_of("http://[::1]:8080") == "http://[::1]:8080"


@pytest.mark.parametrize("bad", ["localhost:5000", "ftp://x", "http://x/path", "http://x?q=1", ""])
def test_bad_origin_is_refused(bad):
    with pytest.raises(ValueError):
        origin_of(bad)


def test_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("KILN_SANDBOX_ORIGIN", "not a url")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "KILN_SANDBOX_ORIGIN" in str(err.value)


def test_bad_number_names_the_variable(monkeypatch):
    monkeypatch.setenv("KILN_MAX_ARTIFACT_BYTES", "lots")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "KILN_MAX_ARTIFACT_BYTES" in str(err.value)


def test_same_origin_for_app_and_sandbox_is_refused():
    with pytest.raises(SettingsError) as err:
        load_settings(app_origin="http://127.0.0.1:5000", sandbox_origin="http://127.0.0.1:5000/")
    assert "KILN_SANDBOX_ORIGIN" in str(err.value)


def test_defaults_are_two_origins_on_one_port():
    settings = load_settings()
    assert settings.app_origin == "http://127.0.0.1:5000"
    assert settings.sandbox_origin == "http://localhost:5000"
    assert settings.max_artifact_bytes == 2 * 1024 * 1024

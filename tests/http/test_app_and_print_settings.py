"""The app and print settings are enforced where they show (issue 6, ADR 0037): the app download
entry (switch and iOS/Android links) on the console login page and in the signing portal, and the
print mode in the portal (a print button only for browser printing; otherwise the page says that
printing goes through the print client or the remote anti-counterfeit printing service)."""

from __future__ import annotations

from http_flows import csrf_of
from test_portal import ID_NUMBER, drawn_signature, portal, set_section, verify

from esign_core.model.policy import AppSettings, PrintMode, PrintSettings

__all__ = ["portal"]
IOS, ANDROID = "https://apps.example.com/ios/esign", "https://apps.example.com/android/esign.apk"


def _signed(portal):  # type: ignore[no-untyped-def]
    """Sign the portal's contract and return the done page's address."""
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    verify(client, platform, path, token)
    page = client.get(path)
    r = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token, "confirm": "on",
                                          "signature_mode": "drawn", "signature_data": drawn_signature(),
                                          "id_number": ID_NUMBER}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    return r.headers["location"]


def test_the_app_download_entry_follows_the_switch_and_the_links(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, path = portal["client"], portal["platform"], portal["path"]
    login_page = client.get("/console/login").text
    assert 'id="app-download"' not in login_page  # on by default, but no link set: nothing to show
    set_section(platform, AppSettings(show_download_entry=True, ios_url=IOS, android_url=ANDROID))
    login_page = client.get("/console/login").text
    assert 'id="app-download"' in login_page and IOS in login_page and ANDROID in login_page
    portal_page = client.get(path).text
    assert 'id="app-download"' in portal_page and IOS in portal_page
    set_section(platform, AppSettings(show_download_entry=True, ios_url=IOS))
    only_ios = client.get("/console/login").text
    assert 'id="app-ios"' in only_ios and 'id="app-android"' not in only_ios
    set_section(platform, AppSettings(show_download_entry=False, ios_url=IOS, android_url=ANDROID))
    assert 'id="app-download"' not in client.get("/console/login").text
    assert 'id="app-download"' not in client.get(path).text


def test_browser_printing_offers_a_print_button_that_opens_the_pdf(portal) -> None:  # type: ignore[no-untyped-def]
    client, token, doc = portal["client"], portal["token"], portal["document_id"]
    done = client.get(_signed(portal)).text
    assert f'id="print-{doc}"' in done and 'id="print-client"' not in done and 'id="print-remote"' not in done
    printed = client.get(f"/portal/download/{doc}?viewToken={token}&print=1")
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    assert printed.headers["content-disposition"].startswith("inline")
    downloaded = client.get(f"/portal/download/{doc}?viewToken={token}")
    assert downloaded.headers["content-disposition"].startswith("attachment")


def test_client_and_remote_printing_explain_instead_of_a_print_button(portal) -> None:  # type: ignore[no-untyped-def]
    client, platform, doc = portal["client"], portal["platform"], portal["document_id"]
    done_path = _signed(portal)
    set_section(platform, PrintSettings(mode=PrintMode.CLIENT))
    done = client.get(done_path).text
    assert f'id="print-{doc}"' not in done and 'id="print-client"' in done and "打印客户端" in done
    set_section(platform, PrintSettings(mode=PrintMode.REMOTE))
    done = client.get(done_path).text
    assert f'id="print-{doc}"' not in done and 'id="print-remote"' in done and "远程防伪打印" in done
    client.cookies.set("esign_lang", "en")
    assert "remote anti-counterfeit printing service" in client.get(done_path).text

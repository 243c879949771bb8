"""The console's administration pages, registered together (one line in app.py)."""

from __future__ import annotations

from esign_http.account_pages import AccountController
from esign_http.admin_pages import AdminPagesController, AuditController
from esign_http.appearance_pages import AppearanceController, brand_image, custom_css
from esign_http.login_steps import LoginStepsController
from esign_http.org_sync_pages import OrgSyncController
from esign_http.settings_pages import SettingsPagesController
from esign_http.statistics_pages import SigningStatisticsController

CONSOLE_ROUTES = (SettingsPagesController, AppearanceController, AdminPagesController, AuditController,
                  AccountController, LoginStepsController, brand_image, custom_css, OrgSyncController,
                  SigningStatisticsController)

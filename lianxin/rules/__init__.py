"""Follow-up rules: pure date logic (`calendar`, `checkin`) and set-based SQL (`evaluate`)."""

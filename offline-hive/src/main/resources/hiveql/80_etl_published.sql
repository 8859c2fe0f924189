-- Shows the slot just written whole: readers switch from the old answer to the new one at once.
-- Variables: slot.
CREATE OR REPLACE VIEW dws_first_seen AS SELECT * FROM dws_first_seen_${hivevar:slot};
CREATE OR REPLACE VIEW ads_new_users_hourly AS SELECT * FROM ads_new_users_hourly_${hivevar:slot};
INSERT OVERWRITE TABLE etl_published SELECT current_timestamp(), '${hivevar:slot}';

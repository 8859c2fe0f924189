-- Shows the slot just written whole, then records the publish. Spark replaces a view by dropping
-- and creating it, so a query in between finds no view: readers that must not see that moment
-- (calibration) take only hours computed before the recorded publish.
-- Variables: slot.
CREATE OR REPLACE VIEW dws_first_seen AS SELECT * FROM dws_first_seen_${hivevar:slot};
CREATE OR REPLACE VIEW ads_new_users_hourly AS SELECT * FROM ads_new_users_hourly_${hivevar:slot};
INSERT OVERWRITE TABLE etl_published SELECT current_timestamp(), '${hivevar:slot}';

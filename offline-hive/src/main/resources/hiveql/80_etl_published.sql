-- Records that DWS and ADS were rebuilt from every computed hour.
INSERT OVERWRITE TABLE etl_published SELECT current_timestamp();

// TODO: pool tuning (outside the scanned layers)

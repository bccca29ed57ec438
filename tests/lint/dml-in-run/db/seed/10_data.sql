UPDATE t SET flag = false;

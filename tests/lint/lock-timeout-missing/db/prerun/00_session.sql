SET search_path = public;

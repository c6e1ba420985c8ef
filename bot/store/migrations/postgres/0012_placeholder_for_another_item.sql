-- 0012: placeholder in the i18-delivery branch only. Migrations must be numbered without gaps, and
-- this branch's own step is 0013; at merge the lead replaces this file with the real 0012.
SELECT 1;

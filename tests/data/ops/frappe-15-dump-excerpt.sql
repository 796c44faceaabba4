-- Table structure for table `tabCC Outcome`
--

DROP TABLE IF EXISTS `tabCC Outcome`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `tabCC Outcome` (
  `name` varchar(140) NOT NULL,
  `creation` datetime(6) DEFAULT NULL,
  `modified` datetime(6) DEFAULT NULL,
  `modified_by` varchar(140) DEFAULT NULL,
  `owner` varchar(140) DEFAULT NULL,
  `docstatus` int(1) NOT NULL DEFAULT 0,
  `idx` int(8) NOT NULL DEFAULT 0,
  `outcome_name` varchar(140) DEFAULT NULL,
  `code` varchar(40) DEFAULT NULL,
  `enabled` int(1) NOT NULL DEFAULT 1,
  `system` int(1) NOT NULL DEFAULT 0,
  `final` int(1) NOT NULL DEFAULT 0,
  `success` int(1) NOT NULL DEFAULT 0,
  `schedules_callback` int(1) NOT NULL DEFAULT 0,
  `retry_after_minutes` int(11) NOT NULL DEFAULT 0,
  `add_to_dnc` int(1) NOT NULL DEFAULT 0,
  `dnc_scope` varchar(140) DEFAULT 'Campaign',
  `description` text DEFAULT NULL,
  `_user_tags` text DEFAULT NULL,
  `_comments` text DEFAULT NULL,
  `_assign` text DEFAULT NULL,
  `_liked_by` text DEFAULT NULL,
  PRIMARY KEY (`name`),
  UNIQUE KEY `outcome_name` (`outcome_name`),
  UNIQUE KEY `code` (`code`),
  KEY `modified` (`modified`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `tabCC Outcome`
--

LOCK TABLES `tabCC Outcome` WRITE;
/*!40000 ALTER TABLE `tabCC Outcome` DISABLE KEYS */;
INSERT INTO `tabCC Outcome` VALUES
('Abandoned','2026-12-04 22:33:23.677278','2026-12-04 22:33:23.677278','Administrator','Administrator',0,0,'Abandoned','abandoned',1,1,0,0,0,4320,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Answering machine','2026-12-04 22:33:23.671797','2026-12-04 22:33:23.671797','Administrator','Administrator',0,0,'Answering machine','answering_machine',1,1,0,0,0,240,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Busy','2026-12-04 22:33:23.562471','2026-12-04 22:33:23.562471','Administrator','Administrator',0,0,'Busy','busy',1,1,0,0,0,15,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Call back','2026-12-04 22:33:23.698616','2026-12-04 22:33:23.698616','Administrator','Administrator',0,0,'Call back','callback',1,0,0,0,1,1440,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Do not call','2026-12-04 22:33:23.532144','2026-12-04 22:33:23.532144','Administrator','Administrator',0,0,'Do not call','do_not_call',1,0,1,0,0,60,1,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Failed','2026-12-04 22:33:23.572383','2026-12-04 22:33:23.572383','Administrator','Administrator',0,0,'Failed','failed',1,1,0,0,0,10,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('No answer','2026-12-04 22:33:23.552953','2026-12-04 22:33:23.552953','Administrator','Administrator',0,0,'No answer','no_answer',1,1,0,0,0,120,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Refused','2026-12-04 22:33:23.489489','2026-12-04 22:33:23.489489','Administrator','Administrator',0,0,'Refused','refused',1,0,1,0,0,60,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Success','2026-12-04 22:33:23.475152','2026-12-04 22:33:23.475152','Administrator','Administrator',0,0,'Success','success',1,0,1,1,0,60,0,'Campaign',NULL,NULL,NULL,NULL,NULL),
('Wrong number','2026-12-04 22:33:23.507651','2026-12-04 22:33:23.507651','Administrator','Administrator',0,0,'Wrong number','wrong_number',1,0,1,0,0,60,0,'Campaign',NULL,NULL,NULL,NULL,NULL);
/*!40000 ALTER TABLE `tabCC Outcome` ENABLE KEYS */;
UNLOCK TABLES;
-- Table structure for table `tabCC Work Mode`
--

DROP TABLE IF EXISTS `tabCC Work Mode`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `tabCC Work Mode` (
  `name` varchar(140) NOT NULL,
  `creation` datetime(6) DEFAULT NULL,
  `modified` datetime(6) DEFAULT NULL,
  `modified_by` varchar(140) DEFAULT NULL,
  `owner` varchar(140) DEFAULT NULL,
  `docstatus` int(1) NOT NULL DEFAULT 0,
  `idx` int(8) NOT NULL DEFAULT 0,
  `mode_name` varchar(140) DEFAULT NULL,
  `enabled` int(1) NOT NULL DEFAULT 1,
  `is_default` int(1) NOT NULL DEFAULT 0,
  `receives_calls` int(1) NOT NULL DEFAULT 0,
  `receives_tickets` int(1) NOT NULL DEFAULT 0,
  `counts_as_work` int(1) NOT NULL DEFAULT 1,
  `description` text DEFAULT NULL,
  `_user_tags` text DEFAULT NULL,
  `_comments` text DEFAULT NULL,
  `_assign` text DEFAULT NULL,
  `_liked_by` text DEFAULT NULL,
  PRIMARY KEY (`name`),
  UNIQUE KEY `mode_name` (`mode_name`),
  KEY `modified` (`modified`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `tabCC Work Mode`
--

LOCK TABLES `tabCC Work Mode` WRITE;
/*!40000 ALTER TABLE `tabCC Work Mode` DISABLE KEYS */;
INSERT INTO `tabCC Work Mode` VALUES
('Available','2026-12-04 22:33:22.438379','2026-12-04 22:33:22.438379','Administrator','Administrator',0,0,'Available',1,1,1,1,1,NULL,NULL,NULL,NULL,NULL),
('Back office','2026-12-04 22:33:22.465081','2026-12-04 22:33:22.465081','Administrator','Administrator',0,0,'Back office',1,0,0,1,1,NULL,NULL,NULL,NULL,NULL),
('Break','2026-12-04 22:33:22.472296','2026-12-04 22:33:22.472296','Administrator','Administrator',0,0,'Break',1,0,0,0,0,NULL,NULL,NULL,NULL,NULL),
('Phone only','2026-12-04 22:33:22.462430','2026-12-04 22:33:22.462430','Administrator','Administrator',0,0,'Phone only',1,0,1,0,1,NULL,NULL,NULL,NULL,NULL);
/*!40000 ALTER TABLE `tabCC Work Mode` ENABLE KEYS */;
UNLOCK TABLES;
-- Table structure for table `tabCalendar View`
--

DROP TABLE IF EXISTS `tabCalendar View`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `tabCalendar View` (
  `name` varchar(140) NOT NULL,
  `creation` datetime(6) DEFAULT NULL,
  `modified` datetime(6) DEFAULT NULL,
  `modified_by` varchar(140) DEFAULT NULL,
  `owner` varchar(140) DEFAULT NULL,
  `docstatus` int(1) NOT NULL DEFAULT 0,
  `idx` int(8) NOT NULL DEFAULT 0,
  `reference_doctype` varchar(140) DEFAULT NULL,
  `subject_field` varchar(140) DEFAULT NULL,
  `start_date_field` varchar(140) DEFAULT NULL,
  `end_date_field` varchar(140) DEFAULT NULL,
  `all_day` int(1) NOT NULL DEFAULT 0,
  `_user_tags` text DEFAULT NULL,
  `_comments` text DEFAULT NULL,
  `_assign` text DEFAULT NULL,
  `_liked_by` text DEFAULT NULL,
  PRIMARY KEY (`name`),
  KEY `modified` (`modified`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci ROW_FORMAT=DYNAMIC;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `tabCalendar View`
--

LOCK TABLES `tabCalendar View` WRITE;
/*!40000 ALTER TABLE `tabCalendar View` DISABLE KEYS */;
/*!40000 ALTER TABLE `tabCalendar View` ENABLE KEYS */;
UNLOCK TABLES;

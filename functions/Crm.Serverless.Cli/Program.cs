System.Console.WriteLine("crm");
